"""The search service: a read model of every location's profile and capacity
return, built only from events; finds vacancies by distance and filters, and
exports what it finds."""
