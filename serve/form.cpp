#include "serve/form.h"

#include <gmime/gmime.h>
#include <uriparser/Uri.h>

#include <memory>
#include <mutex>

#include "serve/detector_service.h"

namespace rcnn::serve {

Fields parse_query(std::string_view query) {
  Fields fields;
  if (query.empty()) return fields;
  UriQueryListA* list = nullptr;
  int count = 0;
  if (uriDissectQueryMallocA(&list, &count, query.data(), query.data() + query.size()) != URI_SUCCESS)
    throw RequestError(400, "the query string cannot be read: " + std::string(query.substr(0, 80)));
  for (const UriQueryListA* p = list; p; p = p->next) fields.emplace(p->key, p->value ? p->value : "");
  uriFreeQueryListA(list);
  return fields;
}

namespace {

// GObject references, released when the pointer goes.
template <class T>
using Ref = std::unique_ptr<T, void (*)(gpointer)>;
template <class T>
Ref<T> ref(T* object) {
  return Ref<T>(object, g_object_unref);
}

}  // namespace

Fields parse_multipart(const std::string& content_type, const std::string& body) {
  static std::once_flag initialised;
  std::call_once(initialised, [] { g_mime_init(); });
  // GMime parses a MIME entity: the request's Content-Type header, then its body, read as one stream.
  const std::string header = "Content-Type: " + content_type + "\r\n\r\n";
  auto head = ref(g_mime_stream_mem_new_with_buffer(header.data(), header.size()));
  auto rest = ref(g_mime_stream_mem_new_with_buffer(body.data(), body.size()));
  auto whole = ref(g_mime_stream_cat_new());
  g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), head.get());
  g_mime_stream_cat_add_source(GMIME_STREAM_CAT(whole.get()), rest.get());
  auto parser = ref(g_mime_parser_new_with_stream(whole.get()));
  GMimeObject* parsed = g_mime_parser_construct_part(parser.get(), nullptr);
  if (!parsed) throw RequestError(400, "the multipart form cannot be read");
  auto entity = ref(parsed);
  if (!GMIME_IS_MULTIPART(parsed) || g_mime_multipart_get_count(GMIME_MULTIPART(parsed)) == 0)
    throw RequestError(400, "the multipart form cannot be read: no parts (is its boundary in the Content-Type?)");
  Fields fields;
  GMimeMultipart* form = GMIME_MULTIPART(parsed);
  for (int i = 0; i < g_mime_multipart_get_count(form); ++i) {
    GMimeObject* part = g_mime_multipart_get_part(form, i);
    const char* name = g_mime_object_get_content_disposition_parameter(part, "name");
    if (!name || !GMIME_IS_PART(part) || fields.count(name)) continue;
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(part));
    std::string& value = fields[name];
    if (!content) continue;
    auto bytes = ref(g_mime_stream_mem_new());
    g_mime_data_wrapper_write_to_stream(content, bytes.get());  // undoes a Content-Transfer-Encoding
    const GByteArray* array = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(bytes.get()));
    value.assign(reinterpret_cast<const char*>(array->data), array->len);
  }
  return fields;
}

}  // namespace rcnn::serve
