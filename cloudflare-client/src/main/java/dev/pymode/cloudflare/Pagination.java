package dev.pymode.cloudflare;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The one loop behind every paginated list. Cloudflare has two styles: page numbers ({@code page},
 * {@code per_page}; more pages while {@code result_info.total_pages} or {@code total_count} say so, or while
 * pages come back full) and cursors ({@code per_page}, then the {@code cursor} of the previous
 * {@code result_info} until it is absent).
 */
final class Pagination {

    enum Style {
        PAGES,
        /** R2's list takes no {@code page} parameter at all */
        CURSOR
    }

    /** A list longer than this many pages is a server bug or a loop; fail rather than truncate silently. */
    static final int MAX_PAGES = 500;

    private Pagination() {
    }

    /**
     * @param first   the call for the first page, without paging query parameters
     * @param perPage page size sent as {@code per_page}; also how a short last page is recognised
     * @param items   picks the items out of a page's response (most are {@code result}, some nest them)
     */
    static List<JsonNode> collect(ApiTransport transport, ApiCall first, Style style, int perPage,
            Function<ApiResponse, JsonNode> items) {
        return collect(transport, first, style, perPage, items, MAX_PAGES);
    }

    static List<JsonNode> collect(ApiTransport transport, ApiCall first, Style style, int perPage,
            Function<ApiResponse, JsonNode> items, int maxPages) {
        List<JsonNode> all = new ArrayList<>();
        int page = 1;
        String cursor = null;
        for (int fetched = 0; fetched < maxPages; fetched++) {
            ApiCall call = first.copyWithQuery("per_page", perPage);
            if (style == Style.PAGES) {
                call = call.copyWithQuery("page", page);
            } else if (cursor != null) {
                call = call.copyWithQuery("cursor", cursor);
            }
            ApiResponse response = transport.execute(call);
            JsonNode pageItems = items.apply(response);
            pageItems.forEach(all::add);

            JsonNode info = response.resultInfo();
            if (style == Style.CURSOR) {
                String next = info.path("cursor").asText("");
                if (next.isEmpty() || next.equals(cursor)) {
                    return all;
                }
                cursor = next;
            } else if (pageItems.isEmpty() || !hasNextPage(info, page, perPage, pageItems.size())) {
                return all;
            } else {
                page++;
            }
        }
        throw new CloudflareException(first.name(), "more than " + maxPages + " pages; refusing to go on", null);
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
