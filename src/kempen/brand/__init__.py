"""Brand consistency: the workspace's brand kit, sender identities and reusable content blocks.

`kit` (logo, colours, font, footer: the `brand` template variable), `senders` (who a message is from),
`blocks` (`{% content "key" %}` pieces) and `resolve`, which puts them together for a message: the
template with its blocks expanded and the brand footer added, the `brand` variable, and the frozen
copy a launched campaign sends with. See docs/brand.md and docs/content-blocks.md.
"""
