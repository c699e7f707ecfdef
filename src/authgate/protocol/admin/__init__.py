"""Operations an operator runs without a shell: the services behind the admin REST API
(``web/admin_api``) and the admin console, one module per resource. Each takes the acting
:class:`~authgate.audit.events.Actor` (an admin client, or a console user) and records
what it did in the audit log."""
