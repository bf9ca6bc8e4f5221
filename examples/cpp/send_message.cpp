// The vendor's sample as C++17 with RAII: a conversation that ends in a ticket.
//   ENJO_API_TOKEN, ENJO_BASE_URL (e.g. enjo mock), ENJO_BOT_ID (default support-bot)
// Build: c++ -std=c++17 send_message.cpp $(pkg-config --cflags --libs enjo)
#include <cstdlib>
#include <iostream>

#include "enjo.hpp"

int main() {
    const char *bot = std::getenv("ENJO_BOT_ID");
    try {
        const enjo::Client client;  // token and base URL from the environment
        auto chat = client.conversation(bot && *bot ? bot : "support-bot");
        auto first = chat.send("My VPN disconnects every few minutes");
        std::cout << "answer: " << first.answers().value_or("(none)") << "\n";
        for (const auto &source : first.sources())
            std::cout << "source: " << source.name.value_or("?") << "\n";
        auto second = chat.send("Request for ticket generation");
        std::cout << "conversation: " << chat.id().value_or("(none)") << "\n";
        if (second.has_ticket())
            std::cout << "ticket: " << second.ticket_case_number().value_or("?") << " ("
                      << second.ticket_status().value_or("?") << ")\n";
        return 0;
    } catch (const enjo::Error &e) {
        std::cerr << enjo_status_name(e.status()) << ": " << e.what() << "\n";
        if (auto wait = e.retry_after()) std::cerr << "retry after " << *wait << " s\n";
        return static_cast<int>(e.status());
    }
}
