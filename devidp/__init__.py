"""A development IdP that plays JumpCloud's part on one machine (`make idp`).

Not part of the product: sparksso never imports it, and it refuses to start in production mode.
"""
