"""Sign an AuthnRequest for its binding (RSA-SHA256), with python3-saml's own xmlsec helpers.

HTTP-Redirect signs the query (SAML bindings 3.4.4.1): the exact bytes
``SAMLRequest=…&RelayState=…&SigAlg=…`` as they appear in the URL, the signature in ``Signature``.
HTTP-POST carries an enveloped XML signature inside the AuthnRequest, after its Issuer.
Pure: key and certificate in, signed values out.
"""

from urllib.parse import urlencode

import xmlsec
from onelogin.saml2.constants import OneLogin_Saml2_Constants as C
from onelogin.saml2.utils import OneLogin_Saml2_Utils

SIG_ALG = C.RSA_SHA256
DIGEST_ALG = C.SHA256


def redirect_query_signed(*, saml_request: str, relay_state: str, private_key_pem: str) -> str:
    """The query string for an HTTP-Redirect AuthnRequest, signed: the signed part, then ``&Signature=``."""
    pairs = [("SAMLRequest", saml_request)]
    if relay_state:
        pairs.append(("RelayState", relay_state))
    pairs.append(("SigAlg", SIG_ALG))
    signed_part = urlencode(pairs)  # quote_plus, as python3-saml and pysaml2 rebuild it
    signature = OneLogin_Saml2_Utils.sign_binary(signed_part, private_key_pem, xmlsec.Transform.RSA_SHA256)
    return signed_part + "&" + urlencode({"Signature": OneLogin_Saml2_Utils.b64encode(signature)})


def post_request_signed(*, request_xml: str, private_key_pem: str, certificate_pem: str) -> str:
    """The AuthnRequest with an enveloped RSA-SHA256 signature (and our certificate in its KeyInfo), base64."""
    signed = OneLogin_Saml2_Utils.add_sign(
        request_xml, private_key_pem, certificate_pem, sign_algorithm=SIG_ALG, digest_algorithm=DIGEST_ALG
    )
    return OneLogin_Saml2_Utils.b64encode(signed)
