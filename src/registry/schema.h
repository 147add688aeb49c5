/*
 * schema.h - the registry's SQL schema as a list of migrations. A database
 * records the migrations applied to it in its schema_migrations table;
 * reg_open applies the missing ones, in order, in one transaction.
 */
#ifndef REG_SCHEMA_H
#define REG_SCHEMA_H

#include <stddef.h>

struct reg_migration {
	int		 version;	/* 1, 2, ...: never renumbered */
	const char	*name;
	const char	*sql;		/* one or more statements */
};

/* A backend's migrations, oldest first. */
struct reg_schema {
	const struct reg_migration	*migrations;
	size_t				 count;
};

/* SQLite's (schema.c); PostgreSQL's are in postgres.c. */
extern const struct reg_schema reg_sqlite_schema;

#endif
