"""_ssl on python.wasm: TLS ends at the edge, so contexts can be built and configured but never used.

python.wasm has no OpenSSL and no sockets of its own: HTTPS goes through the host's fetch (`pymode.http`,
`workers.fetch`), which does TLS. Libraries that only create or configure an SSLContext at import or setup
time (anyio, httpx, aiohttp, urllib3) then work; a TLS handshake (`wrap_socket`, `wrap_bio`) raises OSError
ENOSYS naming the edge limitation. The constants are OpenSSL 3.0's, which the stdlib's `ssl` module turns
into its enums.
"""

import os

from pymode._wasi import unavailable

_REASON = "python.wasm has no TLS of its own: HTTPS goes through the host's fetch (pymode.http, workers.fetch)"

# Libraries check for an OpenSSL ≥ 1.1.1 by this string and tuple; no TLS happens here whatever it says.
OPENSSL_VERSION = "OpenSSL 3.0.0 (PyMode stand-in on python.wasm: the host does TLS)"
OPENSSL_VERSION_INFO = (3, 0, 0, 0, 0)
OPENSSL_VERSION_NUMBER = 0x30000000
_OPENSSL_API_VERSION = OPENSSL_VERSION_INFO
_DEFAULT_CIPHERS = "@SECLEVEL=2:ECDH+AESGCM:ECDH+CHACHA20:ECDH+AES:DHE+AES:!aNULL:!eNULL:!aDSS:!SHA1:!AESCCM"

HAS_SNI = HAS_ECDH = HAS_ALPN = HAS_PSK = HAS_TLS_UNIQUE = True
HAS_NPN = HAS_SSLv2 = HAS_SSLv3 = False
HAS_TLSv1 = HAS_TLSv1_1 = HAS_TLSv1_2 = HAS_TLSv1_3 = True

PROTOCOL_SSLv23 = PROTOCOL_TLS = 2
PROTOCOL_TLSv1, PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2 = 3, 4, 5
PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER = 16, 17
PROTO_MINIMUM_SUPPORTED, PROTO_MAXIMUM_SUPPORTED = -2, -1
PROTO_SSLv3, PROTO_TLSv1, PROTO_TLSv1_1, PROTO_TLSv1_2, PROTO_TLSv1_3 = 768, 769, 770, 771, 772

CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = 0, 1, 2
ENCODING_PEM, ENCODING_DER = 1, 2

OP_ALL = 0x80000050
OP_NO_SSLv2 = OP_SINGLE_DH_USE = OP_SINGLE_ECDH_USE = 0
OP_LEGACY_SERVER_CONNECT = 0x4
OP_ENABLE_KTLS = 0x8
OP_IGNORE_UNEXPECTED_EOF = 0x80
OP_NO_TICKET = 0x4000
OP_NO_COMPRESSION = 0x20000
OP_ENABLE_MIDDLEBOX_COMPAT = 0x100000
OP_CIPHER_SERVER_PREFERENCE = 0x400000
OP_NO_SSLv3 = 0x2000000
OP_NO_TLSv1 = 0x4000000
OP_NO_TLSv1_2 = 0x8000000
OP_NO_TLSv1_1 = 0x10000000
OP_NO_TLSv1_3 = 0x20000000
OP_NO_RENEGOTIATION = 0x40000000

VERIFY_DEFAULT = 0
VERIFY_CRL_CHECK_LEAF = 0x4
VERIFY_CRL_CHECK_CHAIN = 0xC
VERIFY_X509_STRICT = 0x20
VERIFY_ALLOW_PROXY_CERTS = 0x40
VERIFY_X509_TRUSTED_FIRST = 0x8000
VERIFY_X509_PARTIAL_CHAIN = 0x80000

HOSTFLAG_ALWAYS_CHECK_SUBJECT = 0x1
HOSTFLAG_NO_WILDCARDS = 0x2
HOSTFLAG_NO_PARTIAL_WILDCARDS = 0x4
HOSTFLAG_MULTI_LABEL_WILDCARDS = 0x8
HOSTFLAG_SINGLE_LABEL_SUBDOMAINS = 0x10
HOSTFLAG_NEVER_CHECK_SUBJECT = 0x20

(SSL_ERROR_SSL, SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE, SSL_ERROR_WANT_X509_LOOKUP, SSL_ERROR_SYSCALL,
 SSL_ERROR_ZERO_RETURN, SSL_ERROR_WANT_CONNECT, SSL_ERROR_EOF) = range(1, 9)
SSL_ERROR_INVALID_ERROR_CODE = 10

ALERT_DESCRIPTION_CLOSE_NOTIFY = 0
ALERT_DESCRIPTION_UNEXPECTED_MESSAGE = 10
ALERT_DESCRIPTION_BAD_RECORD_MAC = 20
ALERT_DESCRIPTION_RECORD_OVERFLOW = 22
ALERT_DESCRIPTION_DECOMPRESSION_FAILURE = 30
ALERT_DESCRIPTION_HANDSHAKE_FAILURE = 40
ALERT_DESCRIPTION_BAD_CERTIFICATE = 42
ALERT_DESCRIPTION_UNSUPPORTED_CERTIFICATE = 43
ALERT_DESCRIPTION_CERTIFICATE_REVOKED = 44
ALERT_DESCRIPTION_CERTIFICATE_EXPIRED = 45
ALERT_DESCRIPTION_CERTIFICATE_UNKNOWN = 46
ALERT_DESCRIPTION_ILLEGAL_PARAMETER = 47
ALERT_DESCRIPTION_UNKNOWN_CA = 48
ALERT_DESCRIPTION_ACCESS_DENIED = 49
ALERT_DESCRIPTION_DECODE_ERROR = 50
ALERT_DESCRIPTION_DECRYPT_ERROR = 51
ALERT_DESCRIPTION_PROTOCOL_VERSION = 70
ALERT_DESCRIPTION_INSUFFICIENT_SECURITY = 71
ALERT_DESCRIPTION_INTERNAL_ERROR = 80
ALERT_DESCRIPTION_USER_CANCELLED = 90
ALERT_DESCRIPTION_NO_RENEGOTIATION = 100
ALERT_DESCRIPTION_UNSUPPORTED_EXTENSION = 110
ALERT_DESCRIPTION_CERTIFICATE_UNOBTAINABLE = 111
ALERT_DESCRIPTION_UNRECOGNIZED_NAME = 112
ALERT_DESCRIPTION_BAD_CERTIFICATE_STATUS_RESPONSE = 113
ALERT_DESCRIPTION_BAD_CERTIFICATE_HASH_VALUE = 114
ALERT_DESCRIPTION_UNKNOWN_PSK_IDENTITY = 115


class SSLError(OSError):
    """An error in the SSL implementation."""

    library = reason = None

    def __str__(self):
        return self.strerror if self.strerror else super().__str__()


class SSLZeroReturnError(SSLError):
    """SSL/TLS session closed cleanly."""


class SSLWantReadError(SSLError):
    """Non-blocking SSL socket needs to read more data."""


class SSLWantWriteError(SSLError):
    """Non-blocking SSL socket needs to write more data."""


class SSLSyscallError(SSLError):
    """System error when attempting SSL operation."""


class SSLEOFError(SSLError):
    """SSL/TLS connection terminated abruptly."""


class SSLCertVerificationError(SSLError, ValueError):
    """A certificate could not be verified."""


# The two OIDs the ssl module builds at import (Purpose.SERVER_AUTH / CLIENT_AUTH): (nid, short name, long name, oid).
_OBJECTS = [(129, "serverAuth", "TLS Web Server Authentication", "1.3.6.1.5.5.7.3.1"),
            (130, "clientAuth", "TLS Web Client Authentication", "1.3.6.1.5.5.7.3.2")]


def txt2obj(txt, name=False):
    for obj in _OBJECTS:
        if txt == obj[3] or (name and txt in obj[1:3]):
            return obj
    raise ValueError(f"unknown object '{txt}'")


def nid2obj(nid):
    for obj in _OBJECTS:
        if obj[0] == nid:
            return obj
    raise ValueError(f"unknown NID {nid}")


def RAND_status():
    return True


def RAND_add(string, entropy):
    pass  # WASI's random_get needs no seeding


def RAND_bytes(n):
    return os.urandom(n)


def get_default_verify_paths():
    return ("SSL_CERT_FILE", "", "SSL_CERT_DIR", "")


class MemoryBIO:
    """A buffer of bytes, as the SSL module's in-memory BIO (usable: no TLS involved)."""

    def __init__(self):
        self._data = bytearray()
        self.eof = False

    @property
    def pending(self):
        return len(self._data)

    def read(self, size=-1):
        size = len(self._data) if size < 0 else min(size, len(self._data))
        out = bytes(self._data[:size])
        del self._data[:size]
        return out

    def write(self, data):
        if self.eof:
            raise SSLError("cannot write() after write_eof()")
        self._data += data
        return len(data)

    def write_eof(self):
        self.eof = True


class SSLSession:
    """A TLS session; none is ever made here."""

    def __init__(self):
        raise TypeError("cannot create '_ssl.SSLSession' instances")


class Certificate:
    """A certificate of a TLS peer; none is ever received here."""


class _SSLSocket:
    """The C object of a TLS connection; none is ever made here."""


def _test_decode_cert(path):
    raise unavailable("ssl._ssl._test_decode_cert", _REASON)


class _SSLContext:
    """Settings of TLS connections that python.wasm never makes: stored and read back as OpenSSL would keep them."""

    def __new__(cls, protocol):
        if protocol not in (PROTOCOL_TLS, PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER, PROTOCOL_TLSv1,
                            PROTOCOL_TLSv1_1, PROTOCOL_TLSv1_2):
            raise ValueError("invalid or unsupported protocol version %i" % protocol)
        self = object.__new__(cls)
        client = protocol == PROTOCOL_TLS_CLIENT
        self._protocol = protocol
        self._verify_mode = CERT_REQUIRED if client else CERT_NONE
        self._check_hostname = client
        self._options = OP_ALL | OP_NO_COMPRESSION | OP_CIPHER_SERVER_PREFERENCE | OP_NO_SSLv3 | OP_ENABLE_MIDDLEBOX_COMPAT
        self._verify_flags = VERIFY_X509_TRUSTED_FIRST
        self._minimum_version = PROTO_TLSv1_2
        self._maximum_version = PROTO_MAXIMUM_SUPPORTED
        self._host_flags = HOSTFLAG_NO_PARTIAL_WILDCARDS
        self._message_callback = None
        self._alpn = b""
        self._ciphers = _DEFAULT_CIPHERS
        self.keylog_filename = None
        self.sni_callback = None
        self.num_tickets = 2
        self.post_handshake_auth = False
        self.security_level = 2
        return self

    protocol = property(lambda self: self._protocol)

    @property
    def verify_mode(self):
        return self._verify_mode

    @verify_mode.setter
    def verify_mode(self, value):
        value = int(value)
        if value not in (CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED):
            raise ValueError("invalid value for verify_mode")
        if value == CERT_NONE and self._check_hostname:
            raise ValueError("Cannot set verify_mode to CERT_NONE when check_hostname is enabled.")
        self._verify_mode = value

    @property
    def check_hostname(self):
        return self._check_hostname

    @check_hostname.setter
    def check_hostname(self, value):
        if value and self._verify_mode == CERT_NONE:
            self._verify_mode = CERT_REQUIRED
        self._check_hostname = bool(value)

    # Data descriptors, as the C type's: the ssl module's SSLContext sets these through super(...).X.__set__.
    _msg_callback = property(lambda self: self._message_callback,
                             lambda self, value: setattr(self, "_message_callback", value))
    options = property(lambda self: self._options, lambda self, value: setattr(self, "_options", int(value)))
    verify_flags = property(lambda self: self._verify_flags,
                            lambda self, value: setattr(self, "_verify_flags", int(value)))
    minimum_version = property(lambda self: self._minimum_version,
                               lambda self, value: setattr(self, "_minimum_version", int(value)))
    maximum_version = property(lambda self: self._maximum_version,
                               lambda self, value: setattr(self, "_maximum_version", int(value)))

    def set_ciphers(self, ciphers):
        self._ciphers = ciphers

    def get_ciphers(self):
        return []

    def _set_alpn_protocols(self, protos):
        self._alpn = bytes(protos)

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        if not os.path.exists(certfile):
            raise FileNotFoundError(2, "No such file or directory", certfile)

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        if cafile is None and capath is None and cadata is None:
            raise TypeError("cafile, capath and cadata cannot be all omitted")

    def set_default_verify_paths(self):
        pass  # the host's fetch verifies servers with the platform's trust store

    def load_dh_params(self, path):
        pass

    def set_ecdh_curve(self, name):
        pass

    def set_psk_client_callback(self, callback):
        pass

    def set_psk_server_callback(self, callback, identity_hint=None):
        pass

    def cert_store_stats(self):
        return {"x509": 0, "crl": 0, "x509_ca": 0}

    def get_ca_certs(self, binary_form=False):
        return []

    def session_stats(self):
        return {name: 0 for name in ("number", "connect", "connect_good", "connect_renegotiate", "accept",
                                     "accept_good", "accept_renegotiate", "hits", "misses", "timeouts",
                                     "cache_full")}

    def _wrap_socket(self, sock, server_side, server_hostname=None, owner=None, session=None):
        raise unavailable("ssl: a TLS connection (wrap_socket)", _REASON)

    def _wrap_bio(self, incoming, outgoing, server_side, server_hostname=None, owner=None, session=None):
        raise unavailable("ssl: a TLS connection (wrap_bio)", _REASON)
