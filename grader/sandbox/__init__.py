"""Running untrusted submissions: the parent-side worker and the sandbox levels it runs at; how the child
process starts (forked by a fork server on Linux, or an interpreter of its own at the portable level), its
entry points, confinement and the runner; the data-only wire encoding between them."""
