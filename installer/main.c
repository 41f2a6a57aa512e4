#include <stdio.h>
int main(void) { puts("wharf " WHARF_VERSION); return 0; }
