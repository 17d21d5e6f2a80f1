"""What every part of the portal stands on: configuration (config), the database connection
(database), the models (models), the security settings and headers (security), request input
cleaned and parsed at the edge (inputs) and the unbound extension singletons (extensions)."""
