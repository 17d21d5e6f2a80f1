"""What every part of the portal stands on: configuration (config), the database connection
(database), the models (models), the security settings and headers (security) and the unbound
extension singletons (extensions)."""
