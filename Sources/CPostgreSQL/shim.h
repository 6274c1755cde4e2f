#ifndef OLLEEY_CPOSTGRESQL_SHIM_H
#define OLLEEY_CPOSTGRESQL_SHIM_H
/* libpq, PostgreSQL's C client library (Debian: libpq-dev, headers in /usr/include/postgresql). */
#include <libpq-fe.h>
#endif
