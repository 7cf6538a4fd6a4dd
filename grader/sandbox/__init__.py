"""Running untrusted submissions: the parent-side worker and the sandbox levels it runs at; the child's entry
point, its confinement and the runner; the data-only wire encoding between them."""
