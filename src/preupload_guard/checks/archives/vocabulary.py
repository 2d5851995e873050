"""What the archive rules share: PyPI's wording, its limits for the ratio check and the
encrypted-code scan, the markers of that scan, and each check's step in PyPI's order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from preupload_guard.model.settings import MiB

if TYPE_CHECKING:
    pass


FAMILY = "archives"
#: PyPI's answers link to these pages; named here without host names (the index may not
#: be PyPI, and the project writes no index host into code or docs).
DOCS_ARCHIVES = "the archives page of PyPI's documentation"
ACCEPTABLE_USE = "PyPI's acceptable use policy"
INVALID = "400 Invalid distribution file."

#: Z2: PyPI's COMPRESSION_RATIO_MIN_SIZE and COMPRESSION_RATIO_THRESHOLD (reference §3.3).
RATIO_MIN_SIZE = 64 * MiB
RATIO_THRESHOLD = 50
#: The YARA scan reads .py/.pye members up to this size (reference §5).
SCAN_MAX_FILE_SIZE = 5 * MiB
SCAN_SUFFIXES = frozenset({".py", ".pye"})
#: Small dist-info files are read up to this size; RECORD may be large in big wheels.
SMALL_FILE_LIMIT = 16 * MiB
RECORD_LIMIT = 64 * MiB

#: Each marker is assembled from two parts: written whole, this .py file (and the tests)
#: would carry them, and PyPI would refuse preupload-guard's own wheel and sdist.
_PA = b"__pyarmor"
PYARMOR_MARKERS = (
    _PA + b"__(__name__, __file__,",
    _PA + b"_enter__",
    _PA + b"_exit__",
    _PA + b"_assert__",
    _PA + b"_bcc__",
)
SOURCEDEFENDER_MARKERS = (b"---BEGIN PYE" + b" FILE---", b"---END PYE" + b" FILE---")
PYARMOR_MESSAGE = (
    f"PyArmor-encrypted content is not allowed. See {ACCEPTABLE_USE} for more information."
)
SOURCEDEFENDER_MESSAGE = (
    f"SourceDefender-encrypted content is not allowed. See {ACCEPTABLE_USE} for more "
    "information."
)
ENTRY_POINT_NAME = re.compile(r"[\w.-]+")
SCRIPT_SECTIONS = ("console_scripts", "gui_scripts")
METHODS = {0: "stored", 1: "shrunk", 6: "imploded", 8: "deflate", 9: "deflate64",
            12: "bzip2", 14: "lzma", 93: "zstandard", 95: "xz", 97: "wavpack", 98: "ppmd",
            99: "AES-encrypted"}

# Steps in PyPI's order (reference §1): 26.x are _is_valid_dist_file's sub-steps. Z10 has
# no place of its own: it is wherever zipfile raises (opening: right after Z1).
STEP_POLYGLOT = 26.0
STEP_NOT_ARCHIVE = 26.1
STEP_OPEN = 26.15
STEP_RATIO = 26.2
STEP_METHOD = 26.3
STEP_TOP = 26.4
STEP_PKG_INFO = 26.5
STEP_WHEEL = 26.7
STEP_ZIP_SCAN = 26.8
STEP_FRAMING = 26.9
STEP_TAR_READ = 26.2
STEP_SPARSE = 26.3
STEP_TAR_SCAN = 26.6
STEP_SDIST_LICENSE = 27.4
STEP_WHEEL_LICENSE = 28.6
STEP_RECORD = 28.7
STEP_ENTRY_POINTS = 28.8
STEP_METADATA = 28.9
