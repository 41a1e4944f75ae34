# pysaml2 attribute map that keeps attribute names exactly as given ("email", "firstName",
# "lastName", as JumpCloud sends them) instead of renaming them to URNs.
MAP = {"identifier": "urn:oasis:names:tc:SAML:2.0:attrname-format:basic", "fro": {}, "to": {}}
