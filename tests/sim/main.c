/* wxpay-sim: placeholder until the simulator lands. */
#include <stdio.h>

int main(void)
{
	fputs("wxpay-sim: not built yet\n", stderr);
	return 2;
}
