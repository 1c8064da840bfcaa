"""Digital credentials: each certificate as a signed Open Badges 3.0 credential, the
issuer's keys and ``did:web``, and the W3C Bitstring Status List that publishes revocation."""
