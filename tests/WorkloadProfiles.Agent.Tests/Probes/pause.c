/* The pod sandbox's process (what registry.k8s.io/pause is): holds the pod's namespaces and waits for a signal. */
#include <signal.h>
#include <unistd.h>

static void quit(int signal) { (void)signal; _exit(0); }

int main(void)
{
    signal(SIGTERM, quit);
    signal(SIGINT, quit);
    for (;;) pause();
}
