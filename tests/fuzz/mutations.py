"""Hypothesis strategies that mutate an XML document: bytes, and elements/attributes/text by tree.

Shared by the metadata and the SAMLResponse fuzzers. ``skip`` lets a caller keep some elements out
of reach (e.g. a signature's KeyInfo, which is deliberately not trusted and so not covered).
"""

from collections.abc import Callable

from hypothesis import strategies as st
from lxml import etree

# Characters lxml accepts in a tree (XML 1.0 Char): no controls, surrogates or non-characters.
XML_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Co", "Cn"))
NASTY_TEXT = st.one_of(
    st.text(alphabet=XML_CHARS, max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "\u200b",
            "&amp;",
            "]]>",
            "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
            "https://evil.example/sso",
            "http://127.0.0.1/",
            "2000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "MIIB" + "A" * 60,
            "-1",
        ]
    ),
)
PREFIXES = [
    b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>',
    b"<?xml-stylesheet href='http://evil.example/x.xsl'?>",
    b"\xef\xbb\xbf",
    b"<!-- c -->",
]


@st.composite
def byte_mutations(draw, original: bytes) -> bytes:
    """Replace, delete or insert a few bytes, or put something in front of the document."""
    data = bytearray(original)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        kind = draw(st.sampled_from(["replace", "delete", "insert", "prefix", "truncate"]))
        at = draw(st.integers(min_value=0, max_value=max(0, len(data) - 1)))
        if kind == "replace" and data:
            data[at] = draw(st.integers(min_value=0, max_value=255))
        elif kind == "delete" and data:
            del data[at : at + draw(st.integers(min_value=1, max_value=16))]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "prefix":
            xml_decl_end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
            data[xml_decl_end:xml_decl_end] = draw(st.sampled_from(PREFIXES))
        else:
            del data[at:]
    return bytes(data)


def _elements(root: etree._Element, skip: Callable[[etree._Element], bool]) -> list[etree._Element]:
    return [e for e in root.iter() if isinstance(e.tag, str) and not skip(e)]


@st.composite
def tree_mutations(draw, original: bytes, skip: Callable[[etree._Element], bool] = lambda e: False) -> bytes:
    """One to three structural edits: attributes, text, removal, duplication, moves, new children."""
    root = etree.fromstring(original)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        elements = _elements(root, skip)
        target = draw(st.sampled_from(elements))
        kind = draw(st.sampled_from(["set_attr", "drop_attr", "text", "remove", "duplicate", "move", "child"]))
        if kind == "set_attr":
            names = [*target.attrib.keys(), "ID", "Destination", "NotOnOrAfter", "Location", "Binding", "use"]
            target.set(draw(st.sampled_from(names)), draw(NASTY_TEXT))
        elif kind == "drop_attr" and target.attrib:
            del target.attrib[draw(st.sampled_from(sorted(target.attrib.keys())))]
        elif kind == "text":
            target.text = draw(NASTY_TEXT)
        elif kind in ("remove", "duplicate", "move") and target.getparent() is not None:
            parent = target.getparent()
            if kind == "remove":
                parent.remove(target)
            elif kind == "duplicate":
                parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
            else:
                parent.remove(target)
                parent.insert(draw(st.integers(min_value=0, max_value=len(parent))), target)
        elif kind == "child":
            child = etree.SubElement(target, draw(st.sampled_from([target.tag, "{urn:x}Extra", "Unqualified"])))
            child.text = draw(NASTY_TEXT)
    return etree.tostring(root)


def xml_mutations(original: bytes, skip: Callable[[etree._Element], bool] = lambda e: False) -> st.SearchStrategy:
    return st.one_of(byte_mutations(original), tree_mutations(original, skip))
