/* XML helpers over libxml2. AWS answers in several XML namespaces (IAM's
 * https://iam.amazonaws.com/doc/2010-05-08/, S3's, none at all from moto), so
 * every lookup matches on local names only. */
#include <fv/awsproto.h>

#include <libxml/parser.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static pthread_once_t s_init_once = PTHREAD_ONCE_INIT;

static void s_init(void)
{
    /* libxml2 wants this once, before threads parse concurrently. */
    xmlInitParser();
}

xmlDocPtr fv_xml_parse(struct fv_cur body, struct fv_error *err)
{
    pthread_once(&s_init_once, s_init);
    if (!body.ptr || body.len == 0) {
        fv_error_set(err, FV_E_PARSE, "empty XML document");
        return NULL;
    }
    if (body.len > INT_MAX) {
        fv_error_set(err, FV_E_PARSE, "XML document too large (%zu bytes)", body.len);
        return NULL;
    }
    /* No network, no entity substitution, no DTD loading (the defaults keep
     * the last two off); errors are reported here, not printed. */
    xmlDocPtr doc = xmlReadMemory(body.ptr, (int)body.len, NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (!doc) {
        const xmlError *e = xmlGetLastError();
        if (e && e->message) {
            size_t n = strlen(e->message);
            while (n > 0 && (e->message[n - 1] == '\n' || e->message[n - 1] == ' '))
                n--;
            fv_error_set(err, FV_E_PARSE, "malformed XML at line %d: %.*s", e->line, (int)n,
                         e->message);
        } else {
            fv_error_set(err, FV_E_PARSE, "malformed XML");
        }
        return NULL;
    }
    if (doc->intSubset || doc->extSubset || !xmlDocGetRootElement(doc)) {
        /* AWS never sends a DTD; refusing them rules out entity tricks. */
        fv_error_set(err, FV_E_PARSE,
                     doc->intSubset || doc->extSubset ? "XML with a DTD refused"
                                                      : "XML document without a root element");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static void s_wipe_nodes(xmlDocPtr doc, xmlNodePtr n)
{
    for (; n; n = n->next) {
        /* Strings interned in the document's dictionary are shared: left. */
        if (n->content && !(doc->dict && xmlDictOwns(doc->dict, n->content)))
            fv_wipe(n->content, strlen((const char *)n->content));
        if (n->type == XML_ELEMENT_NODE) {
            for (xmlAttrPtr a = n->properties; a; a = a->next)
                s_wipe_nodes(doc, a->children);
            s_wipe_nodes(doc, n->children);
        }
    }
}

void fv_xml_free_secret(xmlDocPtr doc)
{
    if (!doc)
        return;
    s_wipe_nodes(doc, doc->children);
    xmlFreeDoc(doc);
}

static bool s_is(xmlNodePtr n, const char *name)
{
    return n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

xmlNodePtr fv_xml_find(xmlNodePtr from, const char *name)
{
    if (!from || !name)
        return NULL;
    for (xmlNodePtr c = from->children; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        if (s_is(c, name))
            return c;
        xmlNodePtr found = fv_xml_find(c, name);
        if (found)
            return found;
    }
    return NULL;
}

xmlNodePtr fv_xml_path(xmlNodePtr from, const char *path)
{
    if (!from || !path)
        return NULL;
    xmlNodePtr cur = from;
    const char *p = path;
    while (*p) {
        size_t len = strcspn(p, "/");
        if (len > 0) {
            xmlNodePtr next = NULL;
            for (xmlNodePtr c = cur->children; c && !next; c = c->next)
                if (c->type == XML_ELEMENT_NODE && strlen((const char *)c->name) == len &&
                    strncmp((const char *)c->name, p, len) == 0)
                    next = c;
            if (!next)
                return NULL;
            cur = next;
        }
        p += len;
        if (*p == '/')
            p++;
    }
    return cur;
}

char *fv_xml_text(xmlNodePtr node)
{
    if (!node)
        return NULL;
    xmlChar *content = xmlNodeGetContent(node);
    char *s = fv_strdup(content ? (const char *)content : "");
    xmlFree(content);
    return s;
}

char *fv_xml_path_text(xmlNodePtr from, const char *path)
{
    return fv_xml_text(fv_xml_path(from, path));
}
