/* config: reads the optional config.yaml of settings that are neither
 * partners nor keys (today the history location). See config.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

static int config_path(char *buf, size_t n)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int len;

	if (xdg && xdg[0] == '/')
		len = snprintf(buf, n, "%s/wxrev/config.yaml", xdg);
	else if (home && *home)
		len = snprintf(buf, n, "%s/.config/wxrev/config.yaml", home);
	else
		return -1;
	return len < 0 || (size_t)len >= n ? -1 : 0;
}

static int at(struct wx_err *err, const char *path, const yaml_node_t *nd,
	      const char *what)
{
	return wx_err_set(err, "%s:%lu:%lu: %s", path,
			  (unsigned long)nd->start_mark.line + 1,
			  (unsigned long)nd->start_mark.column + 1, what);
}

/* Reads the one mapping of the file; -1 on error. */
static int read_history(yaml_document_t *doc, const char *path, char *buf,
			size_t n, struct wx_err *err)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	int found = 0;

	if (!root)
		return 0; /* empty file */
	if (root->type != YAML_MAPPING_NODE)
		return at(err, path, root,
			  _("the settings must be \"key: value\" lines, such "
			    "as history: postgresql://ROLE@HOST/DB"));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		const char *key;

		if (!k || !v)
			continue; /* libyaml always pairs two nodes */
		key = k->type == YAML_SCALAR_NODE
			  ? (const char *)k->data.scalar.value
			  : "";

		if (strcmp(key, "history") != 0)
			return at(err, path, k,
				  _("unknown setting (the only one is "
				    "history:); check the spelling"));
		if (v->type != YAML_SCALAR_NODE || !v->data.scalar.length)
			return at(err, path, v,
				  _("history: needs a file path or a "
				    "postgresql:// URI"));
		if (v->data.scalar.length >= n)
			return at(err, path, v, _("history: is too long"));
		memcpy(buf, v->data.scalar.value, v->data.scalar.length + 1);
		found = 1;
	}
	return found;
}

int config_history(char *buf, size_t n, struct wx_err *err)
{
	char path[4096];
	FILE *f;
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	if (config_path(path, sizeof(path)) != 0)
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return errno == ENOENT || errno == ENOTDIR
			   ? 0
			   : wx_err_set(err,
					_("cannot read %s (%s): fix its "
					  "permissions or remove it"),
					path, strerror(errno));
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = wx_err_set(err, "%s:%lu:%lu: %s", path,
				(unsigned long)parser.problem_mark.line + 1,
				(unsigned long)parser.problem_mark.column + 1,
				parser.problem ? parser.problem
					       : "YAML syntax error");
	} else {
		rc = read_history(&doc, path, buf, n, err);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
