/* TCP socket options memcached sets (accepted and ignored: lwIP runs with Nagle off). */
#ifndef IXOS_MC_NETINET_TCP_H
#define IXOS_MC_NETINET_TCP_H

#define TCP_NODELAY 1

#endif
