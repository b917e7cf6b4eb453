/* i18n: the language a person reads, chosen the GNU way.
 *
 * Owns: the process locale and the gettext domain "wxrev". The language
 * comes from LANGUAGE, LC_ALL, LC_MESSAGES, LANG as in every GNU program;
 * English (the msgids) is the fallback. The catalogue is looked up next to
 * the binary first (a build tree: build/bin/wxrev finds build/locale), then
 * in the installed $(PREFIX)/share/locale.
 * Policy: machine output (JSON, CSV, exit statuses, stored history values)
 * never goes through gettext, so it does not change with the language. */
#ifndef WXREV_I18N_H
#define WXREV_I18N_H

#include <stddef.h>
#include <stdint.h>

/* Sets the locale from the environment and binds the catalogue. A UTF-8
 * locale that is not installed (LANG=zh_CN.UTF-8 on a fresh machine) falls
 * back to C.UTF-8 with that language as LANGUAGE, so wide characters keep
 * working and the messages stay in the language asked for. Call first. */
void wx_i18n_init(void);

/* A text kept in English in the history and --json, translated for a
 * person to read: a constant message of wxrev's own (marked N_()), or one
 * of the wx_stored templates below with its values filled in (the
 * translated template gets the same values). NULL and "" pass through, and
 * so does text without a translation (WeChat Pay's own message), shown as
 * stored. The result is the catalogue's, the input, or one of a few
 * buffers reused on later calls: use it before the next call but three. */
const char *wx_i18n_stored(const char *s);

/* Messages wxrev stores with values filled in (the history, --json): made
 * in English by wx_stored_printf, shown translated by wx_i18n_stored. */
enum wx_stored {
	WX_MSG_NAMES_OTHER,     /* %s order, %s sub-merchant */
	WX_MSG_UNVERIFIED_2XX,  /* %ld status, %s verdict */
	WX_MSG_NOT_SUCCESS,     /* %ld status */
	WX_MSG_NOT_ANSWER,      /* %ld status */
	WX_MSG_NO_ERROR_TEXT,   /* %ld status */
	WX_MSG_QUERY_NOT_ANSWER, /* %ld status */
	WX_MSG_SETTLED,		/* %s trade state */
	WX_MSG_SAFE_TO_RERUN,	/* %s trade state */
	WX_MSG_NO_HEADER,	/* %s header name */
	WX_MSG_TS_NOT_NUMBER,	/* %s timestamp as sent */
	WX_MSG_TS_AHEAD,	/* %ld seconds, %d limit */
	WX_MSG_TS_BEHIND,	/* %ld seconds, %d limit */
	WX_MSG_UNKNOWN_KEY,	/* %s serial, %s known ones (or "none") */
	WX_MSG_BECAUSE,		/* %s message, %s why it is not trusted */
	WX_MSG_COUNT
};
/* The English message `id` with its values (the conversions the template's
 * comment names, in order). malloc'd. */
char *wx_stored_printf(enum wx_stored id, ...);
/* The English template of `id`, for tests. */
const char *wx_stored_template(enum wx_stored id);

/* C_("context", "text"): a translation that depends on where the text is
 * shown (the same English in two places, two Chinese texts). */
#define C_(ctx, s) wx_pgettext(ctx "\004" s, s)
#if defined(__GNUC__)
__attribute__((format_arg(2)))
#endif
const char *wx_pgettext(const char *ctx_and_msgid, const char *msgid);

/* How much of a local date and time a person is shown. */
enum wx_when {
	WX_WHEN_MINUTE, /* 2026-11-30 14:02 (both languages) */
	WX_WHEN_SECOND, /* 2026-11-30 14:02:09 */
	WX_WHEN_SHORT,	/* 11-30 14:02 (a list column) */
};
/* Formats ms since the epoch as local time in the UI language's way (the
 * pattern is the catalogue's). Machine output keeps ISO 8601 instead. */
void wx_i18n_when(int64_t ms, enum wx_when style, char *buf, size_t n);
/* The same for a broken-down time already in the zone to show (a payment
 * time in the payer's own offset). */
struct tm;
void wx_i18n_when_tm(const struct tm *tm, enum wx_when style, char *buf,
		     size_t n);

/* An amount in fen as a person reads it in the UI language: "¥12,800.00"
 * (CNY, or a NULL currency), "HKD 12.50" (the currency code otherwise);
 * always two decimals, thousands grouped; a negative amount (unknown)
 * gives "?". Machine output keeps the integer fen. Writes at most n bytes. */
void wx_i18n_amount(int64_t fen, const char *currency, char *buf, size_t n);

#endif
