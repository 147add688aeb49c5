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

extern const struct reg_migration reg_migrations[];
extern const size_t reg_migration_count;

#endif
