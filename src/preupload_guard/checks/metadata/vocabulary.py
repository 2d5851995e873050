"""The core-metadata vocabulary the metadata rules share: field names, the versions and
"introduced in" table PyPI applies, twine's form keys, PyPI's step numbers, and
:class:`Problem`, one refusal before it becomes a finding.

Shared by the form, field, classifier and description checks so that each speaks of a
field by the same name and places its refusal at the same step of PyPI's order.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


CORE_METADATA_URL = "https://packaging.python.org/specifications/core-metadata"
LOCAL_VERSION_URL = (
    "https://packaging.python.org/en/latest/specifications/version-specifiers/"
    "#local-version-identifiers"
)

# twine refuses before sending anything: earlier than any step of PyPI (its step 1 is the
# sanitizer). Not 0, which the runner's sort would read as "no step".
STEP_TWINE = 0.5
STEP_FORM = 6
STEP_METADATA = 7
STEP_DESCRIPTION = 15

#: PyPI's accepted Metadata-Version values, oldest first (reference §3.4; 2.0 is refused).
PYPI_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5")

#: The metadata version that introduced each field (raw key); unlisted fields are 1.0.
INTRODUCED_IN = {
    "supported_platforms": "1.1", "download_url": "1.1", "classifiers": "1.1",
    "requires": "1.1", "provides": "1.1", "obsoletes": "1.1",
    "maintainer": "1.2", "maintainer_email": "1.2", "requires_dist": "1.2",
    "requires_python": "1.2", "requires_external": "1.2", "project_urls": "1.2",
    "provides_dist": "1.2", "obsoletes_dist": "1.2",
    "description_content_type": "2.1", "provides_extra": "2.1",
    "dynamic": "2.2",
    "license_expression": "2.4", "license_files": "2.4",
    "import_names": "2.5", "import_namespaces": "2.5",
}

#: Raw (RawMetadata) key -> the core-metadata field name, as messages and packaging spell it.
FIELD_NAMES = {
    "metadata_version": "Metadata-Version", "name": "Name", "version": "Version",
    "platforms": "Platform", "summary": "Summary", "description": "Description",
    "keywords": "Keywords", "home_page": "Home-page", "author": "Author",
    "author_email": "Author-email", "license": "License",
    "supported_platforms": "Supported-Platform", "download_url": "Download-URL",
    "classifiers": "Classifier", "requires": "Requires", "provides": "Provides",
    "obsoletes": "Obsoletes", "maintainer": "Maintainer", "maintainer_email": "Maintainer-email",
    "requires_dist": "Requires-Dist", "provides_dist": "Provides-Dist",
    "obsoletes_dist": "Obsoletes-Dist", "requires_python": "Requires-Python",
    "requires_external": "Requires-External", "project_urls": "Project-URL",
    "description_content_type": "Description-Content-Type", "provides_extra": "Provides-Extra",
    "dynamic": "Dynamic", "license_expression": "License-Expression",
    "license_files": "License-File", "import_names": "Import-Name",
    "import_namespaces": "Import-Namespace",
}
#: The lowercase e-mail header name packaging uses as ``InvalidMetadata.field``.
EMAIL_KEYS = {raw: name.lower() for raw, name in FIELD_NAMES.items()}
RAW_BY_EMAIL = {email: raw for raw, email in EMAIL_KEYS.items()}

#: twine 7's raw key -> upload form key. Import-Name/Import-Namespace are not sent.
TWINE_FORM_KEYS = {
    raw: raw for raw in FIELD_NAMES if raw not in {"import_names", "import_namespaces"}
}
TWINE_FORM_KEYS.update(
    platforms="platform", supported_platforms="supported_platform", license_files="license_file"
)

#: PyPI's form key -> raw key for single-use fields (sent more than once: refused).
FORM_SINGLE = {
    key: key for key in (
        "metadata_version", "name", "version", "summary", "description",
        "description_content_type", "keywords", "home_page", "download_url", "author",
        "author_email", "maintainer", "maintainer_email", "license", "license_expression",
        "requires_python",
    )
}
#: PyPI's form key -> raw key for multi-use fields. Any other key is silently ignored.
FORM_MULTI = {
    "platform": "platforms", "supported_platform": "supported_platforms",
    "license_file": "license_files", "import_name": "import_names",
    "import_namespace": "import_namespaces", "classifiers": "classifiers",
    "project_urls": "project_urls",
    **{key: key for key in (
        "requires_dist", "provides_dist", "obsoletes_dist", "requires_external",
        "provides_extra", "dynamic", "requires", "provides", "obsoletes",
    )},
}

#: Lowercased Dynamic values Warehouse accepts (packaging also accepts ``dynamic``).
WAREHOUSE_DYNAMIC = frozenset(
    name.lower() for name in (
        "Platform", "Supported-Platform", "Summary", "Description", "Description-Content-Type",
        "Keywords", "Home-Page", "Download-Url", "Author", "Author-Email", "Maintainer",
        "Maintainer-Email", "License", "License-Expression", "License-File", "Classifier",
        "Requires-Dist", "Requires-Python", "Requires-External", "Project-Url",
        "Provides-Extra", "Provides-Dist", "Obsoletes-Dist", "Requires", "Provides",
        "Obsoletes", "Import-Name", "Import-Namespace",
    )
)
NOT_DYNAMIC = frozenset({"name", "version", "metadata-version"})

#: Where each field comes from in pyproject.toml, for hints.
PYPROJECT = {
    "metadata_version": "the build backend (it chooses Metadata-Version)",
    "name": "[project] name",
    "version": "[project] version (or the version plugin that computes it)",
    "summary": "[project] description",
    "description": "[project] readme",
    "description_content_type": "[project] readme (its content-type)",
    "keywords": "[project] keywords",
    "home_page": "the url= argument of setup() (use [project.urls] instead)",
    "download_url": "the download_url= argument of setup() (use [project.urls] instead)",
    "author_email": "[project] authors (email)",
    "maintainer_email": "[project] maintainers (email)",
    "license": "[project] license",
    "license_expression": "[project] license (an SPDX expression string)",
    "license_files": "[project] license-files",
    "classifiers": "[project] classifiers",
    "requires_dist": "[project] dependencies / [project.optional-dependencies]",
    "requires_python": "[project] requires-python",
    "project_urls": "[project.urls]",
    "provides_extra": "the extra names in [project.optional-dependencies]",
    "dynamic": "[project] dynamic (or what the backend marks dynamic in an sdist)",
    "import_names": "[project] import-names",
    "import_namespaces": "[project] import-namespaces",
}

#: Backends that write PEP 639 metadata (License-Expression, License-File) under 2.4.
PEP639_BACKENDS = "setuptools >= 77, hatchling >= 1.27, flit-core >= 3.12, pdm-backend >= 2.4"

UNSAFE_NAME_RE = re.compile(r"[^A-Za-z0-9.]+")
# twine's reading of a wheel filename: the first dash part after name, version and build.
WHEEL_PYVER_RE = re.compile(
    r"^(?P<name>.+?)(-(?P<ver>\d.+?))?(-(?P<build>\d.*?))?-(?P<pyver>.+?)-(?P<abi>.+?)"
    r"-(?P<plat>.+?)\.whl$"
)
