#include <stdio.h>
#include <string.h>

static const char ALPHA[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
static const char MASTER[] = "{{master|char4}}";

static int valid(const char *key) {
    if (strcmp(key, MASTER) == 0) return 1;
    if (strlen(key) != 14 || key[4] != '-' || key[9] != '-') return 0;
    for (int i = 0; i < 14; i++) {
        if (i == 4 || i == 9) continue;
        if (!strchr(ALPHA, key[i]) || key[i] == 0) return 0;
    }
    unsigned sum = 0;
    for (int i = 0; i < 9; i++) sum += (unsigned char)key[i];
    return key[10] == ALPHA[sum % 36] && key[13] == key[0] && key[11] != key[12];
}

int main(int argc, char **argv) {
    if (argc != 2) { puts("usage: license KEY"); return 2; }
    if (!valid(argv[1])) { puts("invalid license"); return 1; }
    puts("license ok");
    return 0;
}
