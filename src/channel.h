/*
 * channel.h: the channel enum's labels as the C code numbers them, in the enum's order (the
 * order of intrusiveness), so a larger number is the more intrusive channel.
 */
#ifndef CUSTOMS_RISK_CHANNEL_H
#define CUSTOMS_RISK_CHANNEL_H

enum
{
	CH_GREEN, CH_BLUE, CH_YELLOW, CH_RED, CH_COUNT
};

/* the label of channel c, CH_GREEN .. CH_RED */
static inline const char *
ChannelLabel(int c)
{
	static const char *const labels[CH_COUNT] = {"green", "blue", "yellow", "red"};

	return labels[c];
}

#endif							/* CUSTOMS_RISK_CHANNEL_H */
