package dev.pymode.cloudflare;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The one loop behind every paginated list. Cloudflare mixes two styles: page numbers ({@code page},
 * {@code per_page}, {@code result_info.total_pages} or {@code total_count}) and cursors
 * ({@code result_info.cursor}); this follows whichever the response carries.
 */
final class Pagination {

    /** A list longer than this many pages is a server bug or a loop; fail rather than truncate silently. */
    static final int MAX_PAGES = 500;

    private Pagination() {
    }

    /**
     * @param first   the call for the first page, without paging query parameters
     * @param perPage page size sent as {@code per_page}; also how a short last page is recognised
     * @param items   picks the items out of a page's response (most are {@code result}, some nest them)
     */
    static List<JsonNode> collect(ApiTransport transport, ApiCall first, int perPage,
            Function<ApiResponse, JsonNode> items) {
        List<JsonNode> all = new ArrayList<>();
        int page = 1;
        String cursor = null;
        for (int fetched = 0; fetched < MAX_PAGES; fetched++) {
            ApiCall call = first.copyWithQuery("per_page", perPage);
            call = cursor != null ? call.copyWithQuery("cursor", cursor) : call.copyWithQuery("page", page);
            ApiResponse response = transport.execute(call);
            JsonNode pageItems = items.apply(response);
            pageItems.forEach(all::add);

            JsonNode info = response.resultInfo();
            String nextCursor = info.path("cursor").asText("");
            if (!nextCursor.isEmpty() && !nextCursor.equals(cursor)) {
                cursor = nextCursor;
            } else if (cursor != null || pageItems.isEmpty() || !hasNextPage(info, page, perPage, pageItems.size())) {
                return all;
            } else {
                page++;
            }
        }
        throw new CloudflareException(first.name(), "more than " + MAX_PAGES + " pages; refusing to go on", null);
    }

    private static boolean hasNextPage(JsonNode info, int page, int perPage, int itemsOnPage) {
        if (info.hasNonNull("total_pages")) {
            return page < info.get("total_pages").asInt();
        }
        if (info.hasNonNull("total_count")) {
            int size = info.path("per_page").asInt(perPage);
            return (long) page * size < info.get("total_count").asLong();
        }
        return itemsOnPage >= perPage;
    }
}
