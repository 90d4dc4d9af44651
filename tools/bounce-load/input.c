/*-------------------------------------------------------------------------
 *
 * input.c
 *		The sources the command line names, as a stream of messages.
 *
 * A path is
 *	- a maildir (a directory with cur/ or new/): every file of cur/ and new/
 *	  (names starting with '.' aside, tmp/ never: a message there is still
 *	  being delivered), in byte order of their names, which in a maildir is
 *	  delivery order;
 *	- another directory: each of its files (not its subdirectories), in
 *	  byte order of their names;
 *	- a file: an mbox when it starts with a "From " line, else one message
 *	  (an .eml file: a message starts with a header field, "From:" at the
 *	  earliest, never with "From ");
 *	- "-", or no path at all: standard input, one message (the "From "
 *	  envelope line that a Postfix pipe transport with flag F, or Exim's
 *	  pipe transport, writes first is dropped), or an mbox with --format=mbox.
 * --format forces the reading of files (mbox or eml) or requires maildirs.
 *
 *-------------------------------------------------------------------------
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load.h"

typedef enum SourceKind
{
	SRC_FILE,					/* an mbox if it starts with "From ", else one message */
	SRC_EML,					/* one message */
	SRC_MBOX,					/* an mbox */
	SRC_STDIN,					/* one message */
	SRC_STDIN_MBOX				/* an mbox */
} SourceKind;

typedef struct Source
{
	char	   *path;
	SourceKind	kind;
	uint64_t	size;
} Source;

struct Input
{
	Source	   *src;
	int			nsrc;
	int			cap;
	int			next;			/* the next source to open */
	uint64_t	total;
	uint64_t	done;			/* bytes of the sources finished */

	/* the mbox being read */
	const char *mbox;			/* NULL: none */
	size_t		mbox_len;
	bool		mbox_mapped;	/* munmap, else free */
	const char *mbox_path;
	size_t		pos;
	size_t		line;
};

static char *
xstrdup(const char *s)
{
	char	   *d = strdup(s);

	if (d == NULL)
	{
		fprintf(stderr, "bounce-load: out of memory\n");
		exit(LOAD_EXIT_USAGE);
	}
	return d;
}

static char *
join_path(const char *dir, const char *name)
{
	size_t		n = strlen(dir) + strlen(name) + 2;
	char	   *p = malloc(n);

	if (p == NULL)
	{
		fprintf(stderr, "bounce-load: out of memory\n");
		exit(LOAD_EXIT_USAGE);
	}
	snprintf(p, n, "%s%s%s", dir, (dir[0] && dir[strlen(dir) - 1] == '/') ? "" : "/", name);
	return p;
}

static void
add_source(Input *in, char *path, SourceKind kind, uint64_t size)
{
	if (in->nsrc == in->cap)
	{
		int			cap = in->cap ? in->cap * 2 : 64;
		Source	   *s = realloc(in->src, sizeof(Source) * cap);

		if (s == NULL)
		{
			fprintf(stderr, "bounce-load: out of memory\n");
			exit(LOAD_EXIT_USAGE);
		}
		in->src = s;
		in->cap = cap;
	}
	in->src[in->nsrc].path = path;
	in->src[in->nsrc].kind = kind;
	in->src[in->nsrc].size = size;
	in->nsrc++;
	in->total += size;
}

static int
not_hidden(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

/* Byte order of the names, whatever the locale (alphasort follows it). */
static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file of dir, in name order, as sources of kind. */
static bool
add_dir_files(Input *in, const char *dir, SourceKind kind)
{
	struct dirent **names;
	int			n = scandir(dir, &names, not_hidden, by_name);
	int			i;

	if (n < 0)
	{
		fprintf(stderr, "bounce-load: cannot read directory \"%s\": %s\n", dir, strerror(errno));
		return false;
	}
	for (i = 0; i < n; i++)
	{
		char	   *p = join_path(dir, names[i]->d_name);
		struct stat st;

		if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
			add_source(in, p, kind, (uint64_t) st.st_size);
		else
			free(p);
		free(names[i]);
	}
	free(names);
	return true;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool
add_path(Input *in, const char *path, InputFormat format)
{
	struct stat st;
	SourceKind	file_kind = format == FORMAT_MBOX ? SRC_MBOX :
		format == FORMAT_EML ? SRC_EML : SRC_FILE;

	if (strcmp(path, "-") == 0)
	{
		add_source(in, xstrdup("stdin"), format == FORMAT_MBOX ? SRC_STDIN_MBOX : SRC_STDIN, 0);
		return true;
	}
	if (stat(path, &st) != 0)
	{
		fprintf(stderr, "bounce-load: cannot read \"%s\": %s\n", path, strerror(errno));
		return false;
	}
	if (S_ISDIR(st.st_mode))
	{
		char	   *cur = join_path(path, "cur"),
				   *new = join_path(path, "new");
		bool		maildir = is_dir(cur) || is_dir(new),
					ok = true;

		if (maildir && format != FORMAT_MBOX && format != FORMAT_EML)
		{
			if (is_dir(cur))
				ok = add_dir_files(in, cur, SRC_EML);
			if (ok && is_dir(new))
				ok = add_dir_files(in, new, SRC_EML);
		}
		else if (format == FORMAT_MAILDIR)
		{
			fprintf(stderr, "bounce-load: \"%s\" is not a maildir: it has no cur/ or new/ directory\n", path);
			ok = false;
		}
		else
			ok = add_dir_files(in, path, file_kind);
		free(cur);
		free(new);
		return ok;
	}
	if (format == FORMAT_MAILDIR)
	{
		fprintf(stderr, "bounce-load: \"%s\" is not a maildir: it is not a directory\n", path);
		return false;
	}
	add_source(in, xstrdup(path), file_kind, (uint64_t) st.st_size);
	return true;
}

Input *
input_open(char **paths, int npaths, InputFormat format)
{
	Input	   *in = calloc(1, sizeof(Input));
	int			i;

	if (in == NULL)
		return NULL;
	if (npaths == 0)
		add_source(in, xstrdup("stdin"), format == FORMAT_MBOX ? SRC_STDIN_MBOX : SRC_STDIN, 0);
	for (i = 0; i < npaths; i++)
	{
		if (!add_path(in, paths[i], format))
		{
			input_close(in);
			return NULL;
		}
	}
	return in;
}

uint64_t
input_total_bytes(const Input *in)
{
	return in->total;
}

uint64_t
input_done_bytes(const Input *in)
{
	return in->done + (in->mbox ? in->pos : 0);
}

/* All of fd into memory (malloc), NUL-terminated; NULL with errno set. */
static char *
read_all(int fd, size_t *len)
{
	size_t		cap = 65536,
				n = 0;
	char	   *b = malloc(cap);

	while (b != NULL)
	{
		ssize_t		r;

		if (cap - n < 2)
		{
			char	   *nb;

			if (cap >= LOAD_MAX_MESSAGE * 4)
			{
				free(b);
				errno = EFBIG;
				return NULL;
			}
			nb = realloc(b, cap * 2);
			if (nb == NULL)
			{
				free(b);
				return NULL;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n - 1);
		if (r < 0)
		{
			if (errno == EINTR)
				continue;
			free(b);
			return NULL;
		}
		if (r == 0)
		{
			b[n] = '\0';
			*len = n;
			return b;
		}
		n += (size_t) r;
	}
	return NULL;
}

static char *
origin_at(const char *path, size_t line)
{
	size_t		n = strlen(path) + 24;
	char	   *o = malloc(n);

	if (o != NULL)
		snprintf(o, n, "%s:%zu", path, line);
	return o;
}

static void
mbox_close(Input *in)
{
	if (in->mbox == NULL)
		return;
	in->done += in->mbox_len;
	if (in->mbox_mapped)
		munmap((void *) in->mbox, in->mbox_len);
	else
		free((void *) in->mbox);
	in->mbox = NULL;
}

/* Start reading buf as an mbox. */
static void
mbox_open(Input *in, const char *path, const char *buf, size_t len, bool mapped)
{
	in->mbox = buf;
	in->mbox_len = len;
	in->mbox_mapped = mapped;
	in->mbox_path = path;
	in->pos = 0;
	in->line = 1;
}

/* One message, or an error, from a file or standard input read whole. */
static bool
whole_message(Input *in, Source *s, char *buf, size_t len, LoadMessage *msg)
{
	msg->origin = xstrdup(s->path);
	msg->data = buf;
	msg->len = len;
	if (s->kind == SRC_STDIN && len >= 5 && memcmp(buf, "From ", 5) == 0)
	{
		/* the envelope line of a pipe transport */
		char	   *nl = memchr(buf, '\n', len);
		size_t		skip = nl ? (size_t) (nl - buf) + 1 : len;

		memmove(buf, buf + skip, len - skip + 1);
		msg->len = len - skip;
	}
	in->done += s->size;
	return true;
}

bool
input_next(Input *in, LoadMessage *msg, const char **error)
{
	static char errbuf[512];

	*error = NULL;
	memset(msg, 0, sizeof(*msg));
	for (;;)
	{
		Source	   *s;
		int			fd;
		char	   *buf;
		size_t		len;

		if (in->mbox != NULL)
		{
			size_t		from_line = in->line;
			MboxStatus	st = mbox_next(in->mbox, in->mbox_len, &in->pos, &in->line,
									   &from_line, msg);

			if (st == MBOX_MESSAGE)
			{
				msg->origin = origin_at(in->mbox_path, from_line);
				if (msg->data == NULL || msg->origin == NULL)
					*error = "out of memory";
				return true;
			}
			if (st == MBOX_NOT_MBOX)
			{
				msg->origin = xstrdup(in->mbox_path);
				*error = "not an mbox: the file does not start with a \"From \" line";
				mbox_close(in);
				return true;
			}
			mbox_close(in);
			continue;
		}
		if (in->next >= in->nsrc)
			return false;
		s = &in->src[in->next++];

		if (s->kind == SRC_STDIN || s->kind == SRC_STDIN_MBOX)
		{
			buf = read_all(0, &len);
			if (buf == NULL)
			{
				msg->origin = xstrdup(s->path);
				snprintf(errbuf, sizeof(errbuf), "cannot read standard input: %s", strerror(errno));
				*error = errbuf;
				return true;
			}
			if (s->kind == SRC_STDIN_MBOX)
			{
				mbox_open(in, s->path, buf, len, false);
				continue;
			}
			return whole_message(in, s, buf, len, msg);
		}

		fd = open(s->path, O_RDONLY);
		if (fd < 0)
		{
			msg->origin = xstrdup(s->path);
			snprintf(errbuf, sizeof(errbuf), "cannot open: %s", strerror(errno));
			*error = errbuf;
			in->done += s->size;
			return true;
		}
		if (s->kind != SRC_EML && s->size > 0)
		{
			/* an mbox, or a file that may be one: mapped, not copied */
			char		head[5];
			ssize_t		r = pread(fd, head, sizeof(head), 0);

			if (s->kind == SRC_MBOX || (r == 5 && memcmp(head, "From ", 5) == 0))
			{
				void	   *map = mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0);

				close(fd);
				if (map == MAP_FAILED)
				{
					msg->origin = xstrdup(s->path);
					snprintf(errbuf, sizeof(errbuf), "cannot map: %s", strerror(errno));
					*error = errbuf;
					in->done += s->size;
					return true;
				}
				madvise(map, s->size, MADV_SEQUENTIAL);
				mbox_open(in, s->path, map, s->size, true);
				continue;
			}
		}
		if (s->size > LOAD_MAX_MESSAGE)
		{
			close(fd);
			msg->origin = xstrdup(s->path);
			snprintf(errbuf, sizeof(errbuf), "message of %llu bytes is larger than the %zu MB bounce-load sends",
					 (unsigned long long) s->size, LOAD_MAX_MESSAGE >> 20);
			*error = errbuf;
			in->done += s->size;
			return true;
		}
		buf = read_all(fd, &len);
		close(fd);
		if (buf == NULL)
		{
			msg->origin = xstrdup(s->path);
			snprintf(errbuf, sizeof(errbuf), "cannot read: %s", strerror(errno));
			*error = errbuf;
			in->done += s->size;
			return true;
		}
		if (s->kind == SRC_MBOX)
		{
			/* forced, but empty: no message */
			free(buf);
			in->done += s->size;
			continue;
		}
		return whole_message(in, s, buf, len, msg);
	}
}

void
input_close(Input *in)
{
	int			i;

	if (in == NULL)
		return;
	mbox_close(in);
	for (i = 0; i < in->nsrc; i++)
		free(in->src[i].path);
	free(in->src);
	free(in);
}
