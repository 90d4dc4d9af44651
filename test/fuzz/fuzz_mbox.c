/*
 * fuzz_mbox.c -- libFuzzer target for bounce-load's mbox splitter
 * (tools/bounce-load/mbox.c).
 *
 * SOURCES: tools/bounce-load/mbox.c
 *
 * Properties checked on every input, beyond "no crash, no sanitizer report,
 * no leak":
 *	- the splitter never reads outside [data, data + size) (the input is
 *	  copied into an exactly-sized heap buffer, no terminator);
 *	- it ends: every message moves the position forward, and the position
 *	  never passes the end;
 *	- a message is never longer than what it was cut from, its From_ line
 *	  is a line the input has, and the line count never passes the input's;
 *	- an input that does not start with "From " is not an mbox, and one
 *	  that does gives at least one message.
 */
#include <stdlib.h>
#include <string.h>

#include "../../tools/bounce-load/load.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *copy = malloc(size ? size : 1);
	size_t		pos = 0,
				line = 1,
				lines = 1,
				i;
	int			messages = 0;

	memcpy(copy, data, size);
	for (i = 0; i < size; i++)
		if (copy[i] == '\n')
			lines++;
	for (;;)
	{
		LoadMessage m;
		size_t		from_line = 0,
					before = pos;
		MboxStatus	st = mbox_next(copy, size, &pos, &line, &from_line, &m);

		if (st == MBOX_NOT_MBOX)
		{
			if (messages != 0 || (size >= 5 && memcmp(copy, "From ", 5) == 0))
				abort();
			break;
		}
		if (st == MBOX_END)
		{
			if (pos < size || (messages == 0 && size >= 5 && memcmp(copy, "From ", 5) == 0))
				abort();
			break;
		}
		if (m.data == NULL || pos <= before || pos > size || m.len > pos - before ||
			from_line < 1 || from_line > lines || line > lines + 1)
			abort();
		free(m.data);
		messages++;
	}
	free(copy);
	return 0;
}
