/* Unix-domain socket addresses: the type only (ixos has no file system; -s is refused). */
#ifndef IXOS_MC_SYS_UN_H
#define IXOS_MC_SYS_UN_H

#include <sys/socket.h>

struct sockaddr_un {
	sa_family_t sun_family;
	char sun_path[108];
};

#endif
