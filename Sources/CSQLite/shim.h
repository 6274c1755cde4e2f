#ifndef OLLEEY_CSQLITE_SHIM_H
#define OLLEEY_CSQLITE_SHIM_H
#include <sqlite3.h>
/* SQLITE_TRANSIENT is a macro cast of -1 that Swift cannot import. */
static inline sqlite3_destructor_type olleey_sqlite_transient(void) { return (sqlite3_destructor_type)-1; }
static inline sqlite3_destructor_type olleey_sqlite_static(void) { return (sqlite3_destructor_type)0; }
#endif
