// Linux I/O calls the Glibc module does not export: epoll, sendfile, accept4, pipe2 (the HTTP
// server's event loop). Declared here, implemented by glibc.
#ifndef OLLEEY_CLINUXIO_SHIM_H
#define OLLEEY_CLINUXIO_SHIM_H
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <netinet/tcp.h>
#include <fcntl.h>

extern int accept4(int sockfd, struct sockaddr *addr, socklen_t *addrlen, int flags);
extern int pipe2(int pipefd[2], int flags);
#endif
