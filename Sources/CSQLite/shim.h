#ifndef OLLEEY_CSQLITE_SHIM_H
#define OLLEEY_CSQLITE_SHIM_H
#include <sqlite3.h>
/* SQLITE_TRANSIENT is a macro cast of -1 that Swift cannot import. */
static inline sqlite3_destructor_type olleey_sqlite_transient(void) { return (sqlite3_destructor_type)-1; }
static inline sqlite3_destructor_type olleey_sqlite_static(void) { return (sqlite3_destructor_type)0; }
/* Process-wide settings, before the first connection opens (sqlite3_config is variadic, which
   Swift cannot call). MEMSTATUS off: SQLite otherwise counts every allocation under one global
   mutex, which the server's pool threads then queue on. Returns SQLITE_MISUSE if SQLite was
   already initialized (harmless: the defaults stay). */
static inline int olleey_sqlite_configure(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
#endif
