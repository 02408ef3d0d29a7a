"""A country's public register of AI systems (its entries, drafted by officers and published by a
country admin, versioned, withdrawable) and the EU database registration pack of its high-risk
deployments. It lives in deployments because an entry describes one deployment and draws on its
impact assessment and conditions: deployments may read governance, governance may not read
deployments (docs/architecture.md)."""
