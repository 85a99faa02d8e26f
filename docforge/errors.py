"""Errors raised by docforge; everything derives from ``DocforgeError``.

::

    DocforgeError
    ├── TemplateDataError         view-model JSON is missing or has invalid fields
    ├── RenderError               jinja2 / WeasyPrint could not produce the PDF
    ├── InvalidSignatureCapture   a signature-pad payload breaks a limit or is malformed
    ├── PKIError                  certificates/keys missing, unreadable or unsuitable
    ├── SigningError              pyHanko refused or failed to sign / timestamp
    ├── BiometricRecordError      a capture record cannot be found, decrypted or bound
    ├── EfileError                a case e-file cannot be compiled from the given documents
    └── VerificationFailed        a document did not verify (carries the report)
"""

from __future__ import annotations

from typing import Any


class DocforgeError(Exception):
    """Root of every error docforge raises on purpose."""


class TemplateDataError(DocforgeError):
    pass


class RenderError(DocforgeError):
    pass


class InvalidSignatureCapture(DocforgeError):
    pass


class PKIError(DocforgeError):
    pass


class SigningError(DocforgeError):
    pass


class BiometricRecordError(DocforgeError):
    pass


class EfileError(DocforgeError):
    pass


class VerificationFailed(DocforgeError):
    def __init__(self, message: str, report: Any = None) -> None:
        super().__init__(message)
        self.report = report
