"""Library callables whose results are the library's own objects (files, buffers, loggers)."""

from __future__ import annotations

LIBRARY_OBJECTS = frozenset({
    "open", "io.open", "io.StringIO", "io.BytesIO", "io.TextIOWrapper", "io.FileIO", "io.BufferedWriter",
    "io.BufferedReader", "codecs.open", "gzip.open", "gzip.GzipFile", "bz2.open", "bz2.BZ2File", "lzma.open",
    "tarfile.open", "zipfile.ZipFile", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile",
    "tempfile.SpooledTemporaryFile", "csv.writer", "csv.DictWriter", "logging.getLogger", "logging.Logger",
    "socket.socket", "socket.create_connection", "subprocess.Popen", "smtplib.SMTP", "smtplib.SMTP_SSL",
    "sqlite3.connect", "pathlib.Path", "hashlib.new", "hashlib.sha256", "hashlib.sha1", "hashlib.md5", "hmac.new",
    "collections.deque", "collections.Counter", "collections.OrderedDict", "collections.defaultdict",
    "queue.Queue", "threading.Thread", "threading.Lock", "threading.Event", "struct.Struct", "array.array",
    "str", "bytes", "bytearray", "list", "dict", "set", "frozenset", "tuple",
})
"""Library callables whose result is an object of the library, never one of the project's: its
methods are not matched to the project's by name (``fh.write(...)`` on a file is no sink of a
project method called ``write``). The context managers among them return themselves from
``with ... as``."""
