// Boost.Asio, compiled once for every cf target that uses it (BOOST_ASIO_SEPARATE_COMPILATION is
// set on cf::asio and passed on to whoever links it), so each file that includes Asio builds faster.
#include <boost/asio/impl/src.hpp>
