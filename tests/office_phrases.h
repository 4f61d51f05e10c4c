// What offices of each country write, in their own language, for the
// randomized scenarios: case notes, plan objectives and activities, meeting
// titles and minutes. Every phrase is NFC (as the text rule stores it), so
// a test can look for the value it wrote.
#pragma once

#include <string>
#include <vector>

namespace accord::testing {

struct OfficePhrases {
  std::vector<std::string> case_notes;
  std::vector<std::string> objectives;
  std::vector<std::string> activities;
  std::vector<std::string> minutes;
  std::string meeting_title;
  std::string city;
  std::string consent_recorded_by;
  std::string participant;
};

inline const OfficePhrases& KhmerPhrases() {
  static const OfficePhrases phrases{
      {"បានសម្ភាសន៍ជនរងគ្រោះនៅមជ្ឈមណ្ឌលប៉ោយប៉ែត", "កំពុងស្វែងរកគ្រួសារនៅខេត្តបន្ទាយមានជ័យ",
       "គ្រួសារបានយល់ព្រមទទួលកូនមកវិញ"},
      {"ការការពារ និងការទប់ស្កាត់ការជួញដូរមនុស្ស", "កិច្ចសហប្រតិបត្តិការលើការអនុវត្តច្បាប់"},
      {"វគ្គបណ្តុះបណ្តាលមន្ត្រីនៅច្រកព្រំដែន", "ការប្រជុំពិនិត្យលទ្ធផលប្រចាំឆ្នាំ"},
      {"ភាគីទាំងពីរបានឯកភាពលើនីតិវិធីបញ្ជូនជនរងគ្រោះត្រឡប់មកវិញ", "គណៈប្រតិភូកម្ពុជាបានស្នើឱ្យពន្លឿនការផ្ទៀងផ្ទាត់សញ្ជាតិ"},
      "កិច្ចប្រជុំទ្វេភាគីស្តីពីការប្រឆាំងការជួញដូរមនុស្ស",
      "សៀមរាប",
      "មន្ត្រីសង្គមកិច្ច ប៉ោយប៉ែត",
      "លោក សុខ វណ្ណា"};
  return phrases;
}

inline const OfficePhrases& ThaiPhrases() {
  static const OfficePhrases phrases{
      {"สัมภาษณ์ผู้เสียหายที่ศูนย์คุ้มครองคนไร้ที่พึ่งแล้ว", "อยู่ระหว่างติดตามครอบครัวของผู้เสียหาย",
       "ส่งต่อผู้เสียหายไปยังด่านอรัญประเทศ"},
      {"การคุ้มครองและส่งกลับผู้เสียหายอย่างปลอดภัย", "ความร่วมมือด้านการบังคับใช้กฎหมาย"},
      {"อบรมเจ้าหน้าที่ประจำจุดผ่านแดน", "ประชุมทบทวนผลการดำเนินงานประจำปี"},
      {"ทั้งสองฝ่ายเห็นชอบขั้นตอนการส่งกลับผู้เสียหาย", "ฝ่ายไทยเสนอให้แลกเปลี่ยนข้อมูลผ่านผู้ประสานงานหลัก"},
      "การประชุมทวิภาคีว่าด้วยการต่อต้านการค้ามนุษย์",
      "สระแก้ว",
      "นักสังคมสงเคราะห์ ศูนย์คุ้มครองคนไร้ที่พึ่ง",
      "นางสาว สมใจ ใจดี"};
  return phrases;
}

inline const OfficePhrases& VietnamesePhrases() {
  static const OfficePhrases phrases{
      {"Đã liên hệ với gia đình nạn nhân", "Đang xác minh quốc tịch của nạn nhân"},
      {"Phòng ngừa và đấu tranh chống mua bán người", "Hỗ trợ nạn nhân tái hòa nhập cộng đồng"},
      {"Tập huấn cho cán bộ biên phòng", "Hội thảo đánh giá kết quả thực hiện kế hoạch"},
      {"Hai bên thống nhất quy trình tiếp nhận nạn nhân",
       "Phía Việt Nam đề nghị tăng cường trao đổi thông tin"},
      "Cuộc họp song phương về phòng, chống mua bán người",
      "Hà Nội",
      "Cán bộ công tác xã hội",
      "Bà Nguyễn Thị Hoa"};
  return phrases;
}

// By the party of the office ("KH", "TH", "VN").
inline const OfficePhrases& PhrasesFor(const std::string& party) {
  if (party == "TH") return ThaiPhrases();
  if (party == "VN") return VietnamesePhrases();
  return KhmerPhrases();
}

}  // namespace accord::testing
