"""Running untrusted submissions: the child-side runner, the data-only wire encoding, the parent-side worker."""
