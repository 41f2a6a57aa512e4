#include <stdio.h>
int main(void) { puts("wharf-index " WHARF_VERSION); return 0; }
