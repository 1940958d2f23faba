//! The `local` backend: the built-in offline help-desk bot (being built).
