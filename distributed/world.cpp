#include "distributed/world.h"

#include <cstdlib>
#include <memory>

namespace rcnn::distributed {

#ifdef RCNN_MPI
std::unique_ptr<World> make_mpi_world();  // distributed/mpi_world.cpp
#endif

namespace {

// A run of one process: every rank's sum is its own value, and nobody else is waiting.
class LocalWorld : public World {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string backend() const override { return "local"; }
  void all_reduce_sum(const std::vector<Tensor>&) override {}
  void broadcast(const std::vector<Tensor>&, int) override {}
  void barrier() override {}
  [[noreturn]] void abort(int exit_code) override { std::exit(exit_code); }
};

// mpirun (OpenMPI's, or any PMIx launcher) tells its processes how many they are.
int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"})
    if (const char* v = std::getenv(name)) return std::atoi(v);
  return 1;
}

std::unique_ptr<World> make_world() {
  const int ranks = launched_ranks();
#ifdef RCNN_MPI
  if (ranks > 1) return make_mpi_world();
#else
  check(ranks <= 1, "started as one of ", ranks,
        " processes (mpirun), but this rcnn was built without MPI: install libopenmpi-dev (scripts/deps.sh) and "
        "rebuild, or run it alone");
#endif
  return std::make_unique<LocalWorld>();
}

}  // namespace

uint64_t fingerprint(std::string_view bytes) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ULL;
  return h;
}

std::vector<int> ranks_differing_from_root(World& world, const std::string& what) {
  if (world.size() == 1) return {};
  const int64_t mine = static_cast<int64_t>(fingerprint(what));
  const Tensor root = from_vector<int64_t>({mine}, {1});
  world.broadcast({root});
  std::vector<int64_t> differs(static_cast<size_t>(world.size()), 0);
  differs[static_cast<size_t>(world.rank())] = root.to_vector<int64_t>()[0] != mine;
  const Tensor all = from_vector(differs, {world.size()});
  world.all_reduce_sum({all});
  std::vector<int> ranks;
  const std::vector<int64_t> flags = all.to_vector<int64_t>();
  for (size_t r = 0; r < flags.size(); ++r)
    if (flags[r]) ranks.push_back(static_cast<int>(r));
  return ranks;
}

std::string ranks_text(const std::vector<int>& ranks) {
  std::string text;
  for (int r : ranks) text += (text.empty() ? "" : ", ") + std::to_string(r);
  return text;
}

World& world() {
  static std::unique_ptr<World> instance = make_world();
  return *instance;
}

}  // namespace rcnn::distributed
