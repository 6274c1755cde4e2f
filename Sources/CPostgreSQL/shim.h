#ifndef OLLEEY_CPOSTGRESQL_SHIM_H
#define OLLEEY_CPOSTGRESQL_SHIM_H
/*
 * libpq, PostgreSQL's C client library (Debian: libpq-dev for this header, libpq5 at run time),
 * loaded with dlopen the first time a PostgreSQL store is opened, not linked: libpq brings about
 * twenty libraries (Kerberos, LDAP, GnuTLS, SASL, ...) whose loading would double the startup time
 * of every olleey command, PostgreSQL or not. Each olleey_PQ... function calls the libpq function
 * of the same name, looked up once. olleey_pq_load() says whether libpq could be loaded (call it
 * before any other: the others assume it succeeded).
 */
#include <dlfcn.h>
#include <stddef.h>
#include <postgresql/libpq-fe.h>

static inline void *olleey_pq_library(void) {
    static void *handle;
    if (!handle) {
        handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL);
        if (!handle) handle = dlopen("libpq.so", RTLD_NOW | RTLD_LOCAL);
    }
    return handle;
}

/* 1 when libpq is loaded and has every function olleey calls, else 0. */
static inline int olleey_pq_load(void) {
    void *h = olleey_pq_library();
    return h && dlsym(h, "PQconnectdb") && dlsym(h, "PQexecPrepared") && dlsym(h, "PQunescapeBytea") ? 1 : 0;
}

#define OLLEEY_PQ(ret, name, params, args) \
    static inline ret olleey_##name params { \
        static ret (*f) params; \
        if (!f) f = (ret (*) params) dlsym(olleey_pq_library(), #name); \
        return f args; \
    }
#define OLLEEY_PQ_VOID(name, params, args) \
    static inline void olleey_##name params { \
        static void (*f) params; \
        if (!f) f = (void (*) params) dlsym(olleey_pq_library(), #name); \
        f args; \
    }

OLLEEY_PQ(PGconn *, PQconnectdb, (const char *conninfo), (conninfo))
OLLEEY_PQ(ConnStatusType, PQstatus, (const PGconn *conn), (conn))
OLLEEY_PQ(char *, PQerrorMessage, (const PGconn *conn), (conn))
OLLEEY_PQ_VOID(PQfinish, (PGconn *conn), (conn))
OLLEEY_PQ(PGresult *, PQexec, (PGconn *conn, const char *query), (conn, query))
OLLEEY_PQ(PGresult *, PQprepare, (PGconn *conn, const char *stmtName, const char *query, int nParams, const Oid *paramTypes),
          (conn, stmtName, query, nParams, paramTypes))
OLLEEY_PQ(PGresult *, PQexecPrepared, (PGconn *conn, const char *stmtName, int nParams, const char *const *paramValues,
                                       const int *paramLengths, const int *paramFormats, int resultFormat),
          (conn, stmtName, nParams, paramValues, paramLengths, paramFormats, resultFormat))
OLLEEY_PQ(ExecStatusType, PQresultStatus, (const PGresult *res), (res))
OLLEEY_PQ(char *, PQresultErrorField, (const PGresult *res, int fieldcode), (res, fieldcode))
OLLEEY_PQ_VOID(PQclear, (PGresult *res), (res))
OLLEEY_PQ(int, PQntuples, (const PGresult *res), (res))
OLLEEY_PQ(int, PQnfields, (const PGresult *res), (res))
OLLEEY_PQ(char *, PQfname, (const PGresult *res, int field_num), (res, field_num))
OLLEEY_PQ(Oid, PQftype, (const PGresult *res, int field_num), (res, field_num))
OLLEEY_PQ(char *, PQcmdTuples, (PGresult *res), (res))
OLLEEY_PQ(char *, PQgetvalue, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
OLLEEY_PQ(int, PQgetlength, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
OLLEEY_PQ(int, PQgetisnull, (const PGresult *res, int tup_num, int field_num), (res, tup_num, field_num))
OLLEEY_PQ(PGTransactionStatusType, PQtransactionStatus, (const PGconn *conn), (conn))
OLLEEY_PQ(int, PQsocket, (const PGconn *conn), (conn))
OLLEEY_PQ(int, PQconsumeInput, (PGconn *conn), (conn))
OLLEEY_PQ(PGnotify *, PQnotifies, (PGconn *conn), (conn))
OLLEEY_PQ_VOID(PQfreemem, (void *ptr), (ptr))
OLLEEY_PQ(unsigned char *, PQunescapeBytea, (const unsigned char *strtext, size_t *retbuflen), (strtext, retbuflen))

#endif
