"""The demo installation started by `make run`: realistic schools, documents and a mail catcher."""
