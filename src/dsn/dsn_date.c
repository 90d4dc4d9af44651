/*-------------------------------------------------------------------------
 *
 * dsn_date.c
 *		RFC 5322 date-times (section 3.3, with the obsolete zone names of
 *		section 4.3) to Unix seconds: Date and Last-Attempt-Date.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "dsn/dsn_int.h"

/* Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t		era;
	int64_t		yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

/* Obsolete zone names (RFC 5322 section 4.3) and a few common ones. */
static const struct
{
	const char *name;
	int			minutes;
}			zone_names[] = {
	{"ut", 0}, {"utc", 0}, {"gmt", 0}, {"z", 0},
	{"est", -300}, {"edt", -240}, {"cst", -360}, {"cdt", -300},
	{"mst", -420}, {"mdt", -360}, {"pst", -480}, {"pdt", -420},
	{"jst", 540}, {"cet", 60}, {"cest", 120}, {"bst", 60}
};

static int
read_num(const char **p, const char *end, int maxdigits, int *v)
{
	int			n = 0;

	*v = 0;
	while (*p < end && is_digit(**p) && n < maxdigits)
	{
		*v = *v * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	return n;
}

static void
skip_cfws(const char **p, const char *end)
{
	while (*p < end && (is_space(**p) || **p == ','))
		(*p)++;
}

bool
bounce_dsn_parse_date(const char *s, size_t len, int64_t *result)
{
	const char *p = s;
	const char *end = s + len;
	int			day,
				mon = -1,
				year,
				hh,
				mi,
				ss = 0;
	int			zone = 0;
	int			i;
	int			nd;

	skip_cfws(&p, end);
	/* optional day of week */
	if (end - p >= 3 && is_alpha(p[0]))
	{
		while (p < end && is_alpha(*p))
			p++;
		skip_cfws(&p, end);
	}
	if (read_num(&p, end, 2, &day) == 0 || day < 1 || day > 31)
		return false;
	skip_cfws(&p, end);
	for (i = 0; i < 12; i++)
		if (dsn_ci_prefix(p, end - p, month_names[i]))
			mon = i + 1;
	if (mon < 0)
		return false;
	while (p < end && is_alpha(*p))
		p++;
	skip_cfws(&p, end);
	nd = read_num(&p, end, 4, &year);
	if (nd == 2)
		year += (year < 50) ? 2000 : 1900;
	else if (nd == 3)
		year += 1900;
	else if (nd != 4)
		return false;
	skip_cfws(&p, end);
	if (read_num(&p, end, 2, &hh) == 0 || hh > 23 || p >= end || *p != ':')
		return false;
	p++;
	if (read_num(&p, end, 2, &mi) != 2 || mi > 59)
		return false;
	if (p < end && *p == ':')
	{
		p++;
		if (read_num(&p, end, 2, &ss) != 2 || ss > 60)
			return false;
	}
	skip_cfws(&p, end);
	if (p < end && (*p == '+' || *p == '-'))
	{
		int			z;
		bool		neg = (*p == '-');

		p++;
		if (read_num(&p, end, 4, &z) != 4 || z % 100 > 59)
			return false;
		zone = (z / 100) * 60 + z % 100;
		if (neg)
			zone = -zone;
	}
	else if (p < end && is_alpha(*p))
	{
		const char *z = p;
		bool		found = false;

		while (p < end && is_alpha(*p))
			p++;
		for (i = 0; i < (int) (sizeof(zone_names) / sizeof(zone_names[0])); i++)
			if (dsn_ci_equal((Str)
						 {
						 z, (size_t) (p - z)
						 }, zone_names[i].name))
			{
				zone = zone_names[i].minutes;
				found = true;
			}
		if (!found)
			zone = 0;			/* unknown zone: RFC 5322 says treat as UTC */
	}
	if (day > 28)
	{
		static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
		bool		leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

		if (day > mdays[mon - 1] || (mon == 2 && day == 29 && !leap))
			return false;
	}
	*result = days_from_civil(year, mon, day) * 86400 +
		hh * 3600 + mi * 60 + (ss > 59 ? 59 : ss) - (int64_t) zone * 60;
	return true;
}
