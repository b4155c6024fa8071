#include <stdio.h>
#include <string.h>

static const struct {
    char head[8];
    unsigned char pw[{{pw|len}}];
    char tail[8];
    unsigned char flag[{{flag|len}}];
} blob = {
    {'S', 'U', 'H', 'O', 'R', 'E', 'V', '1'},
    { {{pw|xor:90|c_bytes}} },
    {'S', 'U', 'H', 'O', 'E', 'N', 'D', '1'},
    { {{flag|xor:51|c_bytes}} },
};

int main(int argc, char **argv) {
    if (argc != 2) { puts("usage: crackme PASSWORD"); return 2; }
    size_t n = sizeof blob.pw;
    if (strlen(argv[1]) != n) { puts("wrong"); return 1; }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)(argv[1][i] ^ 0x5A) != blob.pw[i]) { puts("wrong"); return 1; }
    char out[sizeof blob.flag + 1];
    for (size_t i = 0; i < sizeof blob.flag; i++) out[i] = (char)(blob.flag[i] ^ 0x33);
    out[sizeof blob.flag] = 0;
    printf("correct: %s\n", out);
    return 0;
}
