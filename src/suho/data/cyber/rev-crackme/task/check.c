#include <stdio.h>
#include <string.h>

static const char SECRET[] = "{{pw}}";

int main(int argc, char **argv) {
    if (argc != 2) { puts("usage: check PASSWORD"); return 2; }
    if (strcmp(argv[1], SECRET) == 0) { puts("OK"); return 0; }
    puts("DENIED");
    return 1;
}
