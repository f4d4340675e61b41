#include <stdio.h>
int main(void)
{
        fprintf(stderr, "xsell: not yet\n");
        return 1;
}
