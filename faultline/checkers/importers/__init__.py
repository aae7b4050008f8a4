"""Importers of histories recorded by other tools (and our own JSONL), with the model each
source implies: ``load_history(path, fmt="auto") -> Imported``.

Each format has its own module (jepsen_log, porcupine_kv, knossos_edn, elle_edn, jsonl),
built on a small EDN reader (edn) and a builder that keeps our history contract (builder).
"""

from faultline.checkers.importers.load import FORMATS, Imported, detect_format, load_history

__all__ = ["FORMATS", "Imported", "detect_format", "load_history"]
