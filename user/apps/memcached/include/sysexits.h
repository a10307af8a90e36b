/* Exit codes memcached uses (BSD sysexits values). */
#ifndef IXOS_MC_SYSEXITS_H
#define IXOS_MC_SYSEXITS_H

#define EX_OK	    0
#define EX_USAGE    64
#define EX_NOUSER   67
#define EX_SOFTWARE 70
#define EX_OSERR    71
#define EX_OSFILE   72

#endif
