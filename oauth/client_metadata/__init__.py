"""Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document, design §6.2):
`fetch.py` the fetch (the attack surface), `documents.py` what a document becomes (an App of the
owning account, kept fresh; `resolve`, called by the OAuth validator's App loading only),
`hosts.py` the hosts the owner refuses."""

from .documents import enabled, failure, is_document_id, metadata_document_host, owning_account, resolve
from .fetch import MetadataDocumentError, MetadataFetcher
from .hosts import RefusedHostPermission, metadata_host_allow, metadata_host_refuse

__all__ = [
    "MetadataDocumentError",
    "MetadataFetcher",
    "RefusedHostPermission",
    "enabled",
    "failure",
    "is_document_id",
    "metadata_document_host",
    "metadata_host_allow",
    "metadata_host_refuse",
    "owning_account",
    "resolve",
]
